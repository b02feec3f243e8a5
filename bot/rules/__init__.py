"""Pure rules: no Telegram, no database. Each is a plain function the tests call directly."""
