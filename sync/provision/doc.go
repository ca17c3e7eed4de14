// Package provision carries the domain of sync/roster out against the real
// services: TakeSnapshot reads Entra ID and Procore concurrently into a
// roster.Snapshot, Apply turns an approved roster.Plan into Procore requests
// (journaling each intent before it is sent and its outcome after), the
// memberships add new users to the configured projects, and Reconcile
// settles what an interrupted run left pending.
//
// Journal and ReconcileJournal are the journal as Apply and Reconcile need
// it; sync/store implements them over SQLite.
package provision
