"""Block Kit payloads: the persona card, messages, modals and App Home, and Slack's limits."""
