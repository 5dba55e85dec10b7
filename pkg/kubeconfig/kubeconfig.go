// Package kubeconfig writes the kubeconfig files the server hands to its
// administrators, in the format kubectl and client-go read.
package kubeconfig

import (
	"encoding/base64"
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/apiserver/apiserver/pkg/certs"
)

// Credentials of one user for one server.
type Credentials struct {
	// Server is the https:// URL of the API server.
	Server string
	// CAPEM verifies the server; empty means the system's roots.
	CAPEM []byte
	// User names the user in the file.
	User string
	// CertPEM and KeyPEM are the client certificate and key.
	CertPEM, KeyPEM []byte
}

type file struct {
	APIVersion     string         `json:"apiVersion"`
	Kind           string         `json:"kind"`
	Clusters       []namedCluster `json:"clusters"`
	Users          []namedUser    `json:"users"`
	Contexts       []namedContext `json:"contexts"`
	CurrentContext string         `json:"current-context"`
}

type namedCluster struct {
	Name    string  `json:"name"`
	Cluster cluster `json:"cluster"`
}

type cluster struct {
	Server                   string `json:"server"`
	CertificateAuthorityData string `json:"certificate-authority-data,omitempty"`
}

type namedUser struct {
	Name string   `json:"name"`
	User authInfo `json:"user"`
}

type authInfo struct {
	ClientCertificateData string `json:"client-certificate-data"`
	ClientKeyData         string `json:"client-key-data"`
}

type namedContext struct {
	Name    string     `json:"name"`
	Context contextRef `json:"context"`
}

type contextRef struct {
	Cluster string `json:"cluster"`
	User    string `json:"user"`
}

// Marshal renders c as a kubeconfig with one cluster, user and context.
func Marshal(c Credentials) ([]byte, error) {
	const clusterName = "apiserver"
	ctx := c.User + "@" + clusterName
	b64 := base64.StdEncoding.EncodeToString
	f := file{
		APIVersion:     "v1",
		Kind:           "Config",
		Clusters:       []namedCluster{{Name: clusterName, Cluster: cluster{Server: c.Server}}},
		Users:          []namedUser{{Name: c.User, User: authInfo{ClientCertificateData: b64(c.CertPEM), ClientKeyData: b64(c.KeyPEM)}}},
		Contexts:       []namedContext{{Name: ctx, Context: contextRef{Cluster: clusterName, User: c.User}}},
		CurrentContext: ctx,
	}
	if len(c.CAPEM) > 0 {
		f.Clusters[0].Cluster.CertificateAuthorityData = b64(c.CAPEM)
	}
	out, err := yaml.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encoding kubeconfig: %w", err)
	}
	return out, nil
}

// Write writes c to path with mode 0600: it holds a private key.
func Write(path string, c Credentials) error {
	data, err := Marshal(c)
	if err != nil {
		return err
	}
	if err := certs.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	return nil
}
