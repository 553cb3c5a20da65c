"""The local web chat: a single page and a websocket, signed in with a local demo login."""
