"""CRM adapters: one module per CRM, each implementing ``crm_hygiene.ports.CrmStore``.

Nothing is imported here, so loading one adapter never pulls in another's dependencies.
"""
