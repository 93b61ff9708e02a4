package node

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The restaurant's payment account (SPEC.md §20.3.1): its provider secret
// key and webhook signing secret. They never leave the node: no event
// carries them, no API returns them, and the store holds them sealed with
// a key derived from the node's identity key, so a copy of the data folder
// without the key file reveals nothing.

// PaymentAccount is a restaurant's own provider account.
type PaymentAccount struct {
	// Provider is "stripe", the one provider of v1.
	Provider string `json:"provider"`
	// SecretKey is the account's secret API key (sk_live_… or sk_test_…).
	SecretKey string `json:"secret_key"`
	// WebhookSecret is the signing secret of the account's webhook
	// endpoint (whsec_…); empty when the node only polls.
	WebhookSecret string `json:"webhook_secret,omitempty"`
	// APIBase replaces the provider's API address (a stripe-mock for
	// tests); empty for the real one.
	APIBase string `json:"api_base,omitempty"`
}

// Validate names what is wrong with an account.
func (a PaymentAccount) Validate() error {
	switch {
	case a.Provider != "stripe":
		return errorf(ErrBadArgument, "payment provider %q: v1 knows only stripe", a.Provider)
	case !strings.HasPrefix(a.SecretKey, "sk_") && !strings.HasPrefix(a.SecretKey, "rk_"):
		return errorf(ErrBadArgument, "the Stripe secret key starts with sk_ (or rk_ for a restricted key)")
	case a.WebhookSecret != "" && !strings.HasPrefix(a.WebhookSecret, "whsec_"):
		return errorf(ErrBadArgument, "the webhook signing secret starts with whsec_")
	case a.APIBase != "" && !strings.HasPrefix(a.APIBase, "http://") && !strings.HasPrefix(a.APIBase, "https://"):
		return errorf(ErrBadArgument, "api base %q: want an http:// or https:// address", a.APIBase)
	}
	return nil
}

// paymentMeta is the store metadata name of the sealed account.
const paymentMeta = "payment_account"

var errBadSealedSecret = errors.New("node: sealed payment account does not open with this node's key")

// secretKey derives the sealing key from the node's identity key.
func secretKey(k ed25519.PrivateKey) ([]byte, error) {
	return hkdf.Key(sha256.New, k.Seed(), nil, "coopnode/payment-secret/v1", 32)
}

// sealSecret encrypts plain with AES-256-GCM under secretKey(k): nonce ||
// ciphertext.
func sealSecret(k ed25519.PrivateKey, plain []byte, rand io.Reader) ([]byte, error) {
	key, err := secretKey(k)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, plain, []byte(paymentMeta)), nil
}

// openSecret reverses sealSecret.
func openSecret(k ed25519.PrivateKey, sealed []byte) ([]byte, error) {
	key, err := secretKey(k)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errBadSealedSecret
	}
	plain, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte(paymentMeta))
	if err != nil {
		return nil, errBadSealedSecret
	}
	return plain, nil
}

// loadPaymentAccount opens the sealed account in the store, if any.
func (n *Node) loadPaymentAccount(ctx context.Context) (*PaymentAccount, error) {
	sealed, err := n.store.GetMeta(ctx, paymentMeta)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	plain, err := openSecret(n.key, sealed)
	if err != nil {
		return nil, err
	}
	var a PaymentAccount
	if err := json.Unmarshal(plain, &a); err != nil {
		return nil, fmt.Errorf("node: payment account: %w", err)
	}
	return &a, nil
}
