package monitor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// stormsKey is the item of the shared storms: data (JSON of the records by
// incident key) and version, which every write is conditioned on, so two
// replicas folding failures at once never lose one.
const stormsKey = "storms"

// LoadStorms implements StormStore.
func (s *DynamoStore) LoadStorms(ctx context.Context) (map[string]*StormRecord, error) {
	item, err := s.get(ctx, stormsKey)
	if err != nil {
		return nil, err
	}
	storms, err := decodeStorms([]byte(getS(item, attrData)))
	if err != nil {
		return nil, fmt.Errorf("%w from DynamoDB table %s", err, s.table)
	}
	return storms, nil
}

// UpdateStorms implements StormStore: read, change, write conditioned on
// the version read; again on contention, after a few milliseconds' jitter
// so that two replicas folding a storm's failures do not stay in step.
func (s *DynamoStore) UpdateStorms(ctx context.Context, change func(map[string]*StormRecord) bool) error {
	for attempt := range stormStoreAttempts {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(rand.Int64N(int64(stormRetryJitter)))):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		cur, err := s.get(ctx, stormsKey)
		if err != nil {
			return err
		}
		storms, err := decodeStorms([]byte(getS(cur, attrData)))
		if err != nil {
			return fmt.Errorf("%w from DynamoDB table %s", err, s.table)
		}
		if !change(storms) {
			return nil
		}
		data, err := encodeStorms(storms)
		if err != nil {
			return err
		}
		contended, err := s.putVersioned(ctx, stormsKey, data, cur)
		if contended {
			continue
		}
		if err != nil {
			return fmt.Errorf("update storms in DynamoDB table %s: %w", s.table, err)
		}
		return nil
	}
	return fmt.Errorf("update storms in DynamoDB table %s: %w", s.table, errContended)
}
