"""The `onecode` domain (一码通): one code per typed target, and what a scan shows to whom.

- `targets`: the target types (a device, a cylinder, ...), each registered by its own domain with
  its public-card SQL, scoping, loading, management rules and cache invalidation;
- `views`: per target type, the audiences a scan may be answered for, registered by the domains
  (equipment: regulator, unit, reporter; inspection: agency), first match wins, public otherwise;
- `cards`, `cache`, `resolve`: the public card (one SQL statement on a miss), its Redis cache and
  the scan resolution (the hot path);
- `assign`: issuing, voiding and reissuing codes, for any target type.

onecode knows no domain: it imports no `services.<domain>` module. The entry points that serve
scans import the domains' registrations (`services.equipment`, `services.inspection` packages
register on import).
"""
