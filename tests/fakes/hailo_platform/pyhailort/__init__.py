"""Fake of hailo_platform.pyhailort (tests only): see hailo_platform/__init__.py."""
