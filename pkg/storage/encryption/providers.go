package encryption

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/nacl/secretbox"

	"github.com/apiserver/apiserver/pkg/storage"
)

// value encrypts and decrypts the bytes after a provider's prefix. key is
// the etcd key, which authenticated modes bind the ciphertext to.
type value interface {
	encrypt(data []byte, key string) ([]byte, error)
	decrypt(ciphertext []byte, key string) ([]byte, error)
}

// prefixed is one provider key and the prefix of the values it writes;
// identity has none.
type prefixed struct {
	prefix string
	value  value
}

// prefixTransformers is a resource's providers in order: the first writes,
// each reads the values carrying its prefix.
type prefixTransformers []prefixed

var _ storage.Transformer = prefixTransformers(nil)

// encryptedPrefix starts every encrypted value.
const encryptedPrefix = "k8s:enc:"

func (t prefixTransformers) TransformToStorage(_ context.Context, data []byte, key string) ([]byte, error) {
	w := t[0]
	out, err := w.value.encrypt(data, key)
	if err != nil {
		return nil, err
	}
	return append([]byte(w.prefix), out...), nil
}

func (t prefixTransformers) TransformFromStorage(_ context.Context, stored []byte, key string) ([]byte, bool, error) {
	for i, p := range t {
		if p.prefix == "" || !bytes.HasPrefix(stored, []byte(p.prefix)) {
			continue
		}
		data, err := p.value.decrypt(stored[len(p.prefix):], key)
		if err != nil {
			return nil, false, fmt.Errorf("decrypting with %s: %w", p.prefix[:len(p.prefix)-1], err)
		}
		return data, i != 0, nil
	}
	if bytes.HasPrefix(stored, []byte(encryptedPrefix)) {
		return nil, false, errors.New("no configured key matches the value's prefix")
	}
	for i, p := range t {
		if p.prefix == "" { // identity: stored in clear
			return stored, i != 0, nil
		}
	}
	return nil, false, errors.New("the value is not encrypted and the identity provider is not configured")
}

// identity stores values as they are.
type identity struct{}

func (identity) encrypt(data []byte, _ string) ([]byte, error) { return data, nil }
func (identity) decrypt(data []byte, _ string) ([]byte, error) { return data, nil }

// aesGCM is AES in Galois/Counter mode with a random 12-byte nonce before
// the ciphertext, authenticated with the etcd key.
type aesGCM struct{ aead cipher.AEAD }

func newAESGCM(secret []byte) (value, error) {
	block, err := aes.NewCipher(secret)
	if err != nil {
		return nil, fmt.Errorf("an AES key must be 16, 24 or 32 bytes, not %d", len(secret))
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return aesGCM{aead}, nil
}

func (g aesGCM) encrypt(data []byte, key string) ([]byte, error) {
	nonce := make([]byte, g.aead.NonceSize(), g.aead.NonceSize()+len(data)+g.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return g.aead.Seal(nonce, nonce, data, []byte(key)), nil
}

func (g aesGCM) decrypt(ciphertext []byte, key string) ([]byte, error) {
	n := g.aead.NonceSize()
	if len(ciphertext) < n {
		return nil, errors.New("the value is shorter than a nonce")
	}
	return g.aead.Open(nil, ciphertext[:n], ciphertext[n:], []byte(key))
}

// aesCBC is AES in cipher block chaining mode with PKCS#7 padding and a
// random 16-byte IV before the ciphertext.
type aesCBC struct{ block cipher.Block }

func newAESCBC(secret []byte) (value, error) {
	block, err := aes.NewCipher(secret)
	if err != nil {
		return nil, fmt.Errorf("an AES key must be 16, 24 or 32 bytes, not %d", len(secret))
	}
	return aesCBC{block}, nil
}

func (c aesCBC) encrypt(data []byte, _ string) ([]byte, error) {
	size := aes.BlockSize
	pad := size - len(data)%size
	out := make([]byte, size+len(data)+pad)
	iv := out[:size]
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	copy(out[size:], data)
	for i := size + len(data); i < len(out); i++ {
		out[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(c.block, iv).CryptBlocks(out[size:], out[size:])
	return out, nil
}

func (c aesCBC) decrypt(ciphertext []byte, _ string) ([]byte, error) {
	size := aes.BlockSize
	if len(ciphertext) < 2*size || len(ciphertext)%size != 0 {
		return nil, errors.New("the value is not whole AES blocks after an IV")
	}
	out := make([]byte, len(ciphertext)-size)
	cipher.NewCBCDecrypter(c.block, ciphertext[:size]).CryptBlocks(out, ciphertext[size:])
	pad := int(out[len(out)-1])
	if pad == 0 || pad > size || pad > len(out) {
		return nil, errors.New("invalid padding")
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, errors.New("invalid padding")
		}
	}
	return out[:len(out)-pad], nil
}

// secretBox is NaCl's secretbox (XSalsa20 and Poly1305) with a random
// 24-byte nonce before the sealed value.
type secretBox struct{ key [32]byte }

func newSecretbox(secret []byte) (value, error) {
	if len(secret) != 32 {
		return nil, fmt.Errorf("a secretbox key must be 32 bytes, not %d", len(secret))
	}
	var b secretBox
	copy(b.key[:], secret)
	return b, nil
}

func (b secretBox) encrypt(data []byte, _ string) ([]byte, error) {
	var nonce [24]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	return secretbox.Seal(nonce[:], data, &nonce, &b.key), nil
}

func (b secretBox) decrypt(ciphertext []byte, _ string) ([]byte, error) {
	if len(ciphertext) < 24 {
		return nil, errors.New("the value is shorter than a nonce")
	}
	var nonce [24]byte
	copy(nonce[:], ciphertext[:24])
	out, ok := secretbox.Open(nil, ciphertext[24:], &nonce, &b.key)
	if !ok {
		return nil, errors.New("the value does not open with this key")
	}
	return out, nil
}
