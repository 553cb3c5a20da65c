"""Filtering and monitoring, the DfE standard's way (policy §3.4-3.5): the monitoring providers'
alerts filed as reports, the ICT lead's regular filtering checks, and the annual review."""
