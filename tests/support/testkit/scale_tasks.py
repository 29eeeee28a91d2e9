"""Module-level task functions for the scale tests (workers import them by name)."""
import os
import time


def square_after(item):
    """item = (value, delay seconds): finishes out of order when later items are quicker."""
    value, delay = item
    time.sleep(delay)
    return value * value


def pid(_item):
    return os.getpid()


def fail_on(item):
    if item == 3:
        raise ValueError("item 3 is bad")
    return item
