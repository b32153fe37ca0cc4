"""What starts and drives orders: the CLI (and the HTTP API and web pages), through the Temporal client only."""
