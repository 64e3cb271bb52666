"""Test suite of transcript-bot."""
