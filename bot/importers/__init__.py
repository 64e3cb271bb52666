"""Importers: caption and transcript files (SubRip, WebVTT, Whisper, YouTube json3, podcast, text) to talk files."""
