"""WTForms classes for what Flask-Admin does not scaffold."""
