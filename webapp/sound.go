package webapp

import (
	"encoding/binary"
	"math"
)

// alertWAV is the new-order alert: two short rising tones (880 Hz then
// 1320 Hz), 8 kHz 8-bit mono, about 5 KB. It is made here rather than
// shipped as a recording so the repository holds no binary asset.
func alertWAV() []byte {
	const rate = 8000
	var pcm []byte
	tone := func(hz float64, ms int) {
		n := rate * ms / 1000
		for i := 0; i < n; i++ {
			// a short fade in and out avoids clicks
			env := math.Min(1, math.Min(float64(i), float64(n-i))/80)
			v := 0.6 * env * math.Sin(2*math.Pi*hz*float64(i)/rate)
			pcm = append(pcm, byte(128+int(v*127)))
		}
	}
	silence := func(ms int) {
		for i := 0; i < rate*ms/1000; i++ {
			pcm = append(pcm, 128)
		}
	}
	tone(880, 180)
	silence(60)
	tone(1320, 260)
	b := make([]byte, 44, 44+len(pcm))
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+len(pcm)))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16) // fmt chunk size
	binary.LittleEndian.PutUint16(b[20:], 1)  // PCM
	binary.LittleEndian.PutUint16(b[22:], 1)  // mono
	binary.LittleEndian.PutUint32(b[24:], rate)
	binary.LittleEndian.PutUint32(b[28:], rate) // bytes per second
	binary.LittleEndian.PutUint16(b[32:], 1)    // block align
	binary.LittleEndian.PutUint16(b[34:], 8)    // bits per sample
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(len(pcm)))
	return append(b, pcm...)
}
