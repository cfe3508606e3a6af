"""The SDK's node_modules hold no tests of ours: keep pytest out of them."""

collect_ignore_glob = ["node_modules/*"]
