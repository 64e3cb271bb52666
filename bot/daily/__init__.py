"""Daily quote broadcasts: the /daily command, subscriptions in SQLite, and the scheduler that sends them."""
