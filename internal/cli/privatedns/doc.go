// Package privatedns is the az "network private-dns" command groups: zones,
// virtual network links and record sets of Azure Private DNS, as the
// Debian azure-cli 2.45 has them (its privatedns command module, built on
// azure-mgmt-privatedns with api-version 2020-06-01).
//
// What follows from az 2.45's implementation, and is reproduced here:
//
//   - no command has --ids (the module gives no argument an id_part);
//   - create commands send If-None-Match: * (creating an existing zone,
//     link or record set fails with the service's 412);
//   - add-record (and cname set-record) read the record set and, on any
//     service error, start a new one with TTL 3600, then PUT it whole;
//     remove-record deletes a record set left empty unless
//     --keep-empty-record-set, and fails with "Record {...} not found."
//     (Python's repr of the SDK model) when nothing matches;
//   - update commands are az's generic update: GET, the command's own
//     flags, --set/--add/--remove, then PATCH (with --if-match as If-Match)
//     of the SDK model's writable fields;
//   - single record set results drop their empty record lists (az's
//     transform_privatedns_record_set_output), list results do not (the
//     transform sees the pager, not the items);
//   - table output: zones and links get az's columns; record set lists get
//     Name, ResourceGroup, Ttl, Type, AutoRegistered, Metadata; a record
//     set "show -o table" fails with "Table output unavailable..." as az's
//     transformer does on a single object.
//
// Beyond az 2.45: link create/update accept --resolution-policy
// (Default|NxDomainRedirect), which Azure's later api-versions and az
// releases have; the property is sent only when given and printed only
// when the service returns it.
package privatedns
