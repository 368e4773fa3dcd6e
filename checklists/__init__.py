"""The published catalogue of inspection items (检查事项清单).

"清单之外无检查": nothing outside the published catalogue may be inspected. This
package holds the catalogue's models, the loader that validates a catalogue file
and the single gate (:func:`checklists.gate.require_items`) that every path
creating plans, tasks, visits or findings goes through.
"""
