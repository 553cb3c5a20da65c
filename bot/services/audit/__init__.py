"""The staff online-safety self-audit (policy Appendix 1), run in chat once a year."""
