package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// windowSharesKey is the item of the shares waiting for the leader: data
// (JSON of []WindowShare) and version, which every write is conditioned
// on, so two standbys adding at once, or a standby adding while the leader
// takes, never lose a share.
const windowSharesKey = "window-shares"

// windowSharesBytes bounds the item below DynamoDB's 400 KB: the oldest
// shares are dropped past it.
const windowSharesBytes = 300_000

// shareAttempts bounds the retries of a write that met another's.
const shareAttempts = 5

var errContended = errors.New("the item changed under every attempt")

func (s *DynamoStore) loadShares(ctx context.Context) ([]WindowShare, map[string]ddbtypes.AttributeValue, error) {
	item, err := s.get(ctx, windowSharesKey)
	if err != nil || item == nil {
		return nil, item, err
	}
	var shares []WindowShare
	if err := json.Unmarshal([]byte(getS(item, attrData)), &shares); err != nil {
		return nil, nil, fmt.Errorf("decode window shares from DynamoDB table %s: %w", s.table, err)
	}
	return shares, item, nil
}

// seenVersion is the condition that the item is as it was read.
func seenVersion(cur map[string]ddbtypes.AttributeValue) (string, map[string]string, map[string]ddbtypes.AttributeValue) {
	if cur == nil {
		return "attribute_not_exists(#pk)", names(attrPK), nil
	}
	return "#version = :seen", names(attrVersion), map[string]ddbtypes.AttributeValue{":seen": num(getN(cur, attrVersion))}
}

// putVersioned writes data as item pk, conditioned on the version of cur
// (the item as read, nil when absent); contended says another write came
// first, to be read again.
func (s *DynamoStore) putVersioned(ctx context.Context, pk string, data []byte, cur map[string]ddbtypes.AttributeValue) (contended bool, err error) {
	cond, ns, vs := seenVersion(cur)
	item := key(pk)
	item[attrData], item[attrVersion] = str(string(data)), num(getN(cur, attrVersion)+1)
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item,
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: ns, ExpressionAttributeValues: vs})
	if conditionFailed(err) {
		return true, nil
	}
	return false, err
}

// AddWindowShare implements WindowShares: read, add (addShare), write
// conditioned on the version read.
func (s *DynamoStore) AddWindowShare(ctx context.Context, sh WindowShare) error {
	for range shareAttempts {
		shares, cur, err := s.loadShares(ctx)
		if err != nil {
			return err
		}
		shares = addShare(shares, sh)
		data, err := json.Marshal(shares)
		for err == nil && len(data) > windowSharesBytes && len(shares) > 1 {
			shares = shares[1:]
			data, err = json.Marshal(shares)
		}
		if err != nil {
			return fmt.Errorf("encode window shares: %w", err)
		}
		contended, err := s.putVersioned(ctx, windowSharesKey, data, cur)
		if contended {
			continue
		}
		if err != nil {
			return fmt.Errorf("add window share to DynamoDB table %s: %w", s.table, err)
		}
		return nil
	}
	return fmt.Errorf("add window share to DynamoDB table %s: %w", s.table, errContended)
}

// TakeWindowShares implements WindowShares: read, then delete conditioned
// on the version read.
func (s *DynamoStore) TakeWindowShares(ctx context.Context) ([]WindowShare, error) {
	for range shareAttempts {
		shares, cur, err := s.loadShares(ctx)
		if err != nil || cur == nil {
			return nil, err
		}
		cond, ns, vs := seenVersion(cur)
		_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key(windowSharesKey),
			ConditionExpression: aws.String(cond), ExpressionAttributeNames: ns, ExpressionAttributeValues: vs})
		if conditionFailed(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("take window shares from DynamoDB table %s: %w", s.table, err)
		}
		return shares, nil
	}
	return nil, fmt.Errorf("take window shares from DynamoDB table %s: %w", s.table, errContended)
}
