package serviceaccount

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/apiserver/apiserver/pkg/certs"
)

// ReadSigningKey reads a PEM private key (RSA or ECDSA, PKCS#1, SEC 1 or
// PKCS#8), as --service-account-signing-key-file names one.
func ReadSigningKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if key, err := parsePrivate(block); err == nil && key != nil {
			return key, nil
		}
	}
	return nil, fmt.Errorf("%s: no RSA or ECDSA private key in PEM", path)
}

func parsePrivate(block *pem.Block) (crypto.Signer, error) {
	switch block.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		switch k := key.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case *ecdsa.PrivateKey:
			return k, nil
		}
		return nil, fmt.Errorf("unsupported private key type %T", key)
	}
	return nil, nil
}

// ReadPublicKeys reads every public key of a PEM file, as
// --service-account-key-file names them: public keys, certificates, or
// private keys (whose public half is taken).
func ReadPublicKeys(path string) ([]crypto.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var keys []crypto.PublicKey
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		var key crypto.PublicKey
		switch block.Type {
		case "PUBLIC KEY":
			key, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			key, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var cert *x509.Certificate
			if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
				key = cert.PublicKey
			}
		default:
			var signer crypto.Signer
			if signer, err = parsePrivate(block); signer != nil {
				key = signer.Public()
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if key != nil {
			if _, err := algorithm(key); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no public key in PEM", path)
	}
	return keys, nil
}

// LoadOrCreateSigningKey reads the RSA key at path, or writes a new 2048-bit
// one there (0600) with its public half beside it (.pub), for a server
// started without --service-account-signing-key-file. Replicas sharing a
// data dir share it; others need the flags.
func LoadOrCreateSigningKey(path string) (crypto.Signer, error) {
	if _, err := os.Stat(path); err == nil {
		return ReadSigningKey(path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, err
	}
	priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := certs.WriteFile(path, priv, 0o600); err != nil {
		return nil, err
	}
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	if err := certs.WriteFile(path+".pub", pub, 0o644); err != nil {
		return nil, err
	}
	return key, nil
}

// keyID names a public key as kube-apiserver does: the unpadded base64url
// of the SHA-256 of its DER (PKIX) encoding, so that tokens and JWKS agree
// with other servers that use the same key.
func keyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// algorithm is the JWS algorithm of a key: RS256 for RSA, ES256/384/512 by
// the curve of ECDSA.
func algorithm(pub crypto.PublicKey) (jose.SignatureAlgorithm, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return jose.RS256, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return jose.ES256, nil
		case elliptic.P384():
			return jose.ES384, nil
		case elliptic.P521():
			return jose.ES512, nil
		}
		return "", fmt.Errorf("unsupported ECDSA curve %s", k.Curve.Params().Name)
	}
	return "", fmt.Errorf("unsupported public key type %T", pub)
}

// publicJWK is the JWKS entry of a verifying key.
func publicJWK(pub crypto.PublicKey) (jose.JSONWebKey, error) {
	alg, err := algorithm(pub)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	kid, err := keyID(pub)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	return jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: string(alg), Use: "sig"}, nil
}
