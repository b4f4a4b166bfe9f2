// Package sshkey resolves SSH public keys like az's validators for
// `vm create` and `aks create` (_validate_ssh_key_helper,
// keys.generate_ssh_keys).
package sshkey

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/privlink/privlink/internal/cli/core"
)

// IsValidPublicKey is az's keys.is_valid_ssh_rsa_public_key: the
// second field decodes and starts with the key type named by the first.
func IsValidPublicKey(s string) bool {
	parts := strings.Fields(s)
	if len(parts) < 2 {
		return false
	}
	data, err := base64.StdEncoding.DecodeString(parts[1])
	if err != nil || len(data) < 4 {
		return false
	}
	n := binary.BigEndian.Uint32(data[:4])
	if uint64(len(data)) < 4+uint64(n) {
		return false
	}
	return string(data[4:4+n]) == parts[0]
}

// Value is az's _validate_ssh_key_helper: a file's content, a key value,
// or (with --generate-ssh-keys) a newly generated key pair. value "" means
// ~/.ssh/id_rsa.pub. With optional, no key and no --generate-ssh-keys give
// "" (aks create, where later az versions make SSH optional) instead of
// az's error.
func Value(c *core.Context, value string, generate, optional bool) (string, error) {
	path := value
	if path == "" {
		home, err := HomeDir(c)
		if err != nil {
			return "", err
		}
		path = filepath.Join(home, ".ssh", "id_rsa.pub")
	}
	if data, err := os.ReadFile(path); err == nil {
		c.Infof("Use existing SSH public key file: %s", path)
		return string(data), nil
	}
	if IsValidPublicKey(path) {
		return path, nil
	}
	if !generate {
		if optional && value == "" {
			return "", nil
		}
		return "", core.Errorf("An RSA key file or key value must be supplied to SSH Key Value. You can use --generate-ssh-keys to let CLI generate one for you")
	}
	private := path + ".private"
	if strings.EqualFold(filepath.Ext(path), ".pub") {
		private = path[:len(path)-4]
	}
	pub, err := generateSSHKeys(private, path)
	if err != nil {
		return "", err
	}
	c.Warnf("SSH key files '%s' and '%s' have been generated under ~/.ssh to allow SSH access to the VM. If using machines without permanent storage like Azure Cloud Shell without an attached file share, back up your keys to a safe location", private, path)
	return pub, nil
}

// HomeDir is $HOME (as the command sees it), else the user's home.
func HomeDir(c *core.Context) (string, error) {
	if h := c.Getenv("HOME"); h != "" {
		return h, nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("locating the home directory: %w", err)
	}
	return h, nil
}

// generateSSHKeys writes a 2048-bit RSA key pair (private key in PEM, mode
// 0600; public key in OpenSSH format) like az's keys.generate_ssh_keys and
// returns the public key.
func generateSSHKeys(privatePath, publicPath string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(privatePath), 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", filepath.Dir(privatePath), err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", fmt.Errorf("generating an RSA key: %w", err)
	}
	priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(privatePath, priv, 0o600); err != nil {
		return "", fmt.Errorf("writing %s: %w", privatePath, err)
	}
	pub := openSSHPublicKey(&key.PublicKey)
	if err := os.WriteFile(publicPath, []byte(pub), 0o644); err != nil {
		return "", fmt.Errorf("writing %s: %w", publicPath, err)
	}
	return pub, nil
}

// openSSHPublicKey renders "ssh-rsa <base64 wire form>".
func openSSHPublicKey(k *rsa.PublicKey) string {
	var b []byte
	put := func(data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		b = append(b, n[:]...)
		b = append(b, data...)
	}
	mpint := func(x *big.Int) []byte {
		d := x.Bytes()
		if len(d) > 0 && d[0]&0x80 != 0 {
			d = append([]byte{0}, d...)
		}
		return d
	}
	put([]byte("ssh-rsa"))
	put(mpint(big.NewInt(int64(k.E))))
	put(mpint(k.N))
	return "ssh-rsa " + base64.StdEncoding.EncodeToString(b)
}
