"""Every use of a private attribute of Django or Wagtail the page cache needs, one module per
library, each line saying why. tests/home/test_upgrade_assumptions.py checks each assumption,
so an upgrade that breaks one fails there with its name, not somewhere in a page render."""
