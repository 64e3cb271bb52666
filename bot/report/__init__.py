"""The owner's view: the HTML report with charts, `stats`, and /report in private chats."""
