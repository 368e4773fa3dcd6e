"""CP-SAT constraint families, one module each.

visits     task-day choice, visits of firms, max_visits
staffing   officers_needed, qualifications, teams only where their department works
capacity   officer capacity per day (exact) and aggregated capacity flows (day model)
districts  officer-days that span more than one district
balance    officer load terms
"""
