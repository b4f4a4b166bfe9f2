package aks

import (
	"github.com/privlink/privlink/internal/cli/core"
	"github.com/privlink/privlink/internal/cli/sshkey"
)

// createSSHKey resolves the node pools' SSH public key like az's
// validate_ssh_key: --no-ssh-key uses none; --ssh-key-value is a file or a
// key (or, with --generate-ssh-keys, where to create one); otherwise
// ~/.ssh/id_rsa.pub when it exists, or a new pair with --generate-ssh-keys.
// Unlike az 2.45 (but like later az versions, where SSH is optional), with
// none of these the cluster is created without a linuxProfile.
func createSSHKey(c *core.Context) (string, error) {
	if c.Bool("no_ssh_key") {
		return "", nil
	}
	return sshkey.Value(c, c.String("ssh_key_value"), c.Bool("generate_ssh_keys"), true)
}
