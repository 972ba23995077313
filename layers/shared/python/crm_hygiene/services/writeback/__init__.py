"""Writing a reviewed export back: the updated copy, the CRM import files, the merge list, the audit."""
