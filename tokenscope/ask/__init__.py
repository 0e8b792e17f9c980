"""Asking models a question, live: the headless session, the model choices and ``tokenscope ask``.

``session`` is the one place the ask flow lives (probes, baseline, prices, grading,
saving); ``cli`` and the app's Ask view only collect input and show its events.
"""
