"""autoscaler: a metric-driven autoscaling controller for Alibaba Cloud Auto Scaling (ESS).

Importing the package has no side effects: no clock, registry, settings or
environment variable is read here (STYLE.md habit 9). The composition root is
:mod:`autoscaler.cli`.
"""

__version__ = "0.1.0"
