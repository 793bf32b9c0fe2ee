package sim

// backupRoutes are the Backup service's long-running writes, answered
// natively (see operations.go): enabling protection, the container refresh
// and an on-demand backup.
func (c *Cloud) backupRoutes() []nativeRoute { return nil }
