"""``python -m autoscaler.policy --write-schema``: regenerate ``policy.schema.json``."""

from autoscaler.policy.loader import main

raise SystemExit(main())
