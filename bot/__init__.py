"""transcript-bot: the exact words of a talk in Telegram, Discord and the console."""

__version__ = "0.1.0"
