"""The console's help for customers, one module per use case: search (find a cabinet), cabinet_view (what a staff
member sees of it), help_actions (what an operator does for it), personal_data (a 152-FZ export or erasure, admins
only); lookup holds what they share."""
