"""The Slack adapter: the Bolt app, the flows behind each user action, Block Kit builders, the HTTP server."""
