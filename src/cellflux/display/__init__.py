"""Notebook widgets: the only part of cellflux that imports ipywidgets, anywidget and bqplot."""
