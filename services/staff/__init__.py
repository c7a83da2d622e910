"""The operator console's services: staff accounts and their login, and what staff do for customers.

Every service that acts for a staff member takes the `Staff` row as its first argument and checks the role itself
(`roles.require`): a page hiding a button is a convenience, not the guard."""
