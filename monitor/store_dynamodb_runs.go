package monitor

import (
	"context"
	"encoding/json"
	"fmt"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// runsKeyPrefix + cluster is the item of a cluster's recent runs: data
// (JSON of []StoredRun, newest first) and version, which every write is
// conditioned on, so two replicas adding at once never lose a run.
const runsKeyPrefix = "runs#"

// runsBytes bounds the item below DynamoDB's 400 KB: the oldest runs are
// dropped past it.
const runsBytes = 300_000

func (s *DynamoStore) loadRuns(ctx context.Context, cluster string) ([]StoredRun, map[string]ddbtypes.AttributeValue, error) {
	item, err := s.get(ctx, runsKeyPrefix+cluster)
	if err != nil || item == nil {
		return nil, item, err
	}
	var runs []StoredRun
	if err := json.Unmarshal([]byte(getS(item, attrData)), &runs); err != nil {
		return nil, nil, fmt.Errorf("decode runs of cluster %s from DynamoDB table %s: %w", cluster, s.table, err)
	}
	return runs, item, nil
}

// LoadRuns implements RunHistoryStore.
func (s *DynamoStore) LoadRuns(ctx context.Context, cluster string) ([]StoredRun, error) {
	runs, _, err := s.loadRuns(ctx, cluster)
	return runs, err
}

// AddRuns implements RunHistoryStore: read, merge, keep the newest that
// fit, write conditioned on the version read.
func (s *DynamoStore) AddRuns(ctx context.Context, cluster string, add []StoredRun) error {
	for range shareAttempts {
		runs, cur, err := s.loadRuns(ctx, cluster)
		if err != nil {
			return err
		}
		runs = mergeRuns(runs, add)
		data, err := json.Marshal(runs)
		for err == nil && len(data) > runsBytes && len(runs) > 1 {
			runs = runs[:len(runs)*9/10]
			data, err = json.Marshal(runs)
		}
		if err != nil {
			return fmt.Errorf("encode runs of cluster %s: %w", cluster, err)
		}
		contended, err := s.putVersioned(ctx, runsKeyPrefix+cluster, data, cur)
		if contended {
			continue
		}
		if err != nil {
			return fmt.Errorf("add runs of cluster %s to DynamoDB table %s: %w", cluster, s.table, err)
		}
		return nil
	}
	return fmt.Errorf("add runs of cluster %s to DynamoDB table %s: %w", cluster, s.table, errContended)
}
