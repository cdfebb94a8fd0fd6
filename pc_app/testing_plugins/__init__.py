"""Small plugins that tests enable next to the plugin under test."""
