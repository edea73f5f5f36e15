"""The top layer: the `drillwatch` CLI, crawl jobs and the scheduling daemon. Nothing imports it."""
