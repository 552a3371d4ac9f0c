package monitor

import (
	"context"
	"encoding/json"
	"fmt"
)

// The memory store keeps the storms encoded, as the durable store does,
// so every reader gets its own copy and a change is applied whole or not
// at all.

// LoadStorms implements StormStore.
func (m *MemoryStore) LoadStorms(context.Context) (map[string]*StormRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return decodeStorms(m.storms)
}

// UpdateStorms implements StormStore.
func (m *MemoryStore) UpdateStorms(_ context.Context, change func(map[string]*StormRecord) bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	storms, err := decodeStorms(m.storms)
	if err != nil {
		return err
	}
	if !change(storms) {
		return nil
	}
	data, err := encodeStorms(storms)
	if err != nil {
		return err
	}
	m.storms = data
	return nil
}

func decodeStorms(data []byte) (map[string]*StormRecord, error) {
	storms := map[string]*StormRecord{}
	if len(data) == 0 {
		return storms, nil
	}
	if err := json.Unmarshal(data, &storms); err != nil {
		return nil, fmt.Errorf("decode storms: %w", err)
	}
	return storms, nil
}

// stormsBytes bounds the encoded storms below DynamoDB's 400 KB item.
const stormsBytes = 300_000

// encodeStorms encodes the storms; past stormsBytes it drops the records
// not in a storm (their failures then count towards a threshold afresh),
// then the oldest members of the largest records (a guard only, see
// stormMembersMax), and failing that refuses the write.
func encodeStorms(storms map[string]*StormRecord) ([]byte, error) {
	for {
		data, err := json.Marshal(storms)
		if err != nil {
			return nil, fmt.Errorf("encode storms: %w", err)
		}
		if len(data) <= stormsBytes {
			return data, nil
		}
		dropped := false
		for k, r := range storms {
			if !r.Active {
				delete(storms, k)
				dropped = true
			}
		}
		if dropped {
			continue
		}
		var big *StormRecord
		for _, r := range storms {
			if big == nil || len(r.Members) > len(big.Members) {
				big = r
			}
		}
		if big == nil || len(big.Members) == 0 {
			return nil, fmt.Errorf("encode storms: %d bytes, past the bound of %d", len(data), stormsBytes)
		}
		big.Members = big.Members[len(big.Members)/2:]
	}
}
