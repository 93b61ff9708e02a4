package credential

// Base58btc (the Bitcoin alphabet), the encoding behind multibase prefix
// 'z' that did:key, Multikey and eddsa-jcs-2022 proof values use. The
// quadratic textbook algorithm is fine for the few dozen bytes involved;
// decodeBase58 refuses inputs longer than maxBase58 so that hostile input
// cannot make it slow.

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// maxBase58 bounds the text decodeBase58 accepts: a 64-byte signature is
// at most 88 characters.
const maxBase58 = 128

var base58Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base58Alphabet); i++ {
		t[base58Alphabet[i]] = int8(i)
	}
	return t
}()

func encodeBase58(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	// log(256)/log(58) < 1.37
	digits := make([]byte, 0, len(b)*137/100+1)
	for _, c := range b[zeros:] {
		carry := int(c)
		for i := range digits {
			carry += int(digits[i]) << 8
			digits[i] = byte(carry % 58)
			carry /= 58
		}
		for carry > 0 {
			digits = append(digits, byte(carry%58))
			carry /= 58
		}
	}
	out := make([]byte, zeros+len(digits))
	for i := 0; i < zeros; i++ {
		out[i] = '1'
	}
	for i, d := range digits {
		out[len(out)-1-i] = base58Alphabet[d]
	}
	return string(out)
}

// decodeBase58 decodes s, or reports false for a character outside the
// alphabet, an empty string or one longer than maxBase58.
func decodeBase58(s string) ([]byte, bool) {
	if s == "" || len(s) > maxBase58 {
		return nil, false
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	bytes := make([]byte, 0, len(s))
	for i := zeros; i < len(s); i++ {
		v := base58Index[s[i]]
		if v < 0 {
			return nil, false
		}
		carry := int(v)
		for j := range bytes {
			carry += int(bytes[j]) * 58
			bytes[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			bytes = append(bytes, byte(carry))
			carry >>= 8
		}
	}
	out := make([]byte, zeros+len(bytes))
	for i, c := range bytes {
		out[len(out)-1-i] = c
	}
	return out, true
}

// encodeMultibase is the base58btc multibase form: 'z' then base58btc.
func encodeMultibase(b []byte) string { return "z" + encodeBase58(b) }

// decodeMultibase accepts only the base58btc form ('z'), the one the
// specifications allow for keys and proof values.
func decodeMultibase(s string) ([]byte, bool) {
	if len(s) < 2 || s[0] != 'z' {
		return nil, false
	}
	return decodeBase58(s[1:])
}
