package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDBAPI is the DynamoDB operations the state store calls;
// *dynamodb.Client satisfies it.
type DynamoDBAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// DynamoStore keeps the state in one DynamoDB table whose partition key is
// the string attribute "pk" (deploy/terraform/state.tf). Items:
//
//	incidents#<scope>  data (JSON of []IncidentRecord), fence
//	receipt#<key>      channel, ts, ttl
//	claim#<key>        owner, state (held|done), until, ttl
//	lease              owner, version, expires
//	window-shares      data (JSON of []WindowShare), version
//	runs#<cluster>     data (JSON of []StoredRun), version
//	storms             data (JSON of the StormRecords by key), version
//
// Times are Unix milliseconds, except ttl: Unix seconds, the attribute
// DynamoDB's time to live deletes by (it may lag, so reads judge times
// themselves). Every conditional write is one PutItem or DeleteItem with a
// ConditionExpression: no transaction, no read-modify-write but the
// lease's take-over and the versioned items (window shares, runs, storms),
// each guarded by the version it read.
type DynamoStore struct {
	db    DynamoDBAPI
	table string
}

// NewDynamoStore returns a store over table.
func NewDynamoStore(db DynamoDBAPI, table string) *DynamoStore {
	return &DynamoStore{db: db, table: table}
}

// The table's attribute names.
const (
	attrPK      = "pk"
	attrData    = "data"
	attrFence   = "fence"
	attrChannel = "channel"
	attrTS      = "ts"
	attrTTL     = "ttl"
	attrOwner   = "owner"
	attrState   = "state"
	attrUntil   = "until"
	attrVersion = "version"
	attrExpires = "expires"
	leaseKey    = "lease"
)

func str(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
func num(v int64) ddbtypes.AttributeValue {
	return &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}
func millis(t time.Time) ddbtypes.AttributeValue { return num(t.UnixMilli()) }

func key(pk string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{attrPK: str(pk)}
}

func getS(item map[string]ddbtypes.AttributeValue, name string) string {
	if v, ok := item[name].(*ddbtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(item map[string]ddbtypes.AttributeValue, name string) int64 {
	if v, ok := item[name].(*ddbtypes.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return 0
}

// names maps "#x" placeholders to attribute names: every name the store
// writes in an expression goes through one, reserved word or not.
func names(ns ...string) map[string]string {
	m := make(map[string]string, len(ns))
	for _, n := range ns {
		m["#"+n] = n
	}
	return m
}

func conditionFailed(err error) bool {
	var ccf *ddbtypes.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

func (s *DynamoStore) get(ctx context.Context, pk string) (map[string]ddbtypes.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(pk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("get %s from DynamoDB table %s: %w", pk, s.table, err)
	}
	return out.Item, nil
}

// LoadIncidents implements IncidentStore.
func (s *DynamoStore) LoadIncidents(ctx context.Context, scope string) ([]IncidentRecord, error) {
	item, err := s.get(ctx, "incidents#"+scope)
	if err != nil || item == nil {
		return nil, err
	}
	var recs []IncidentRecord
	if err := json.Unmarshal([]byte(getS(item, attrData)), &recs); err != nil {
		return nil, fmt.Errorf("decode incidents of %s from DynamoDB table %s: %w", scope, s.table, err)
	}
	return recs, nil
}

// SaveIncidents implements IncidentStore.
func (s *DynamoStore) SaveIncidents(ctx context.Context, scope string, fence int64, recs []IncidentRecord) error {
	data, err := json.Marshal(recs)
	if err != nil {
		return fmt.Errorf("encode incidents of %s: %w", scope, err)
	}
	item := key("incidents#" + scope)
	item[attrData], item[attrFence] = str(string(data)), num(fence)
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.table),
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(#pk) OR #fence <= :fence"),
		ExpressionAttributeNames:  names(attrPK, attrFence),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":fence": num(fence)},
	})
	if conditionFailed(err) {
		return ErrFenced
	}
	if err != nil {
		return fmt.Errorf("save incidents of %s to DynamoDB table %s: %w", scope, s.table, err)
	}
	return nil
}

// Receipt implements ReceiptStore.
func (s *DynamoStore) Receipt(ctx context.Context, k string) (Receipt, bool, error) {
	item, err := s.get(ctx, "receipt#"+k)
	if err != nil || item == nil {
		return Receipt{}, false, err
	}
	return Receipt{Channel: getS(item, attrChannel), TS: getS(item, attrTS)}, true, nil
}

// SaveReceipt implements ReceiptStore.
func (s *DynamoStore) SaveReceipt(ctx context.Context, k string, r Receipt, expires time.Time) error {
	item := key("receipt#" + k)
	item[attrChannel], item[attrTS], item[attrTTL] = str(r.Channel), str(r.TS), num(expires.Unix())
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		return fmt.Errorf("save receipt of %s to DynamoDB table %s: %w", k, s.table, err)
	}
	return nil
}

// DeleteReceipt implements ReceiptStore.
func (s *DynamoStore) DeleteReceipt(ctx context.Context, k string) error {
	if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key("receipt#" + k)}); err != nil {
		return fmt.Errorf("delete receipt of %s from DynamoDB table %s: %w", k, s.table, err)
	}
	return nil
}

// Claim implements EventClaims: one conditional PutItem, and a read only
// when it was refused, to tell "done" from "held".
func (s *DynamoStore) Claim(ctx context.Context, k, owner string, now time.Time, hold time.Duration) (ClaimResult, error) {
	until := now.Add(hold)
	item := key("claim#" + k)
	item[attrOwner], item[attrState], item[attrUntil], item[attrTTL] = str(owner), str("held"), millis(until), num(until.Add(time.Hour).Unix())
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item:      item,
		// Free; or held by us or past its hold; or remembered past its
		// time to live, which DynamoDB deletes only eventually.
		ConditionExpression:      aws.String("attribute_not_exists(#pk) OR (#state = :held AND (#owner = :owner OR #until < :now)) OR #ttl < :nowsec"),
		ExpressionAttributeNames: names(attrPK, attrState, attrOwner, attrUntil, attrTTL),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":held": str("held"), ":owner": str(owner), ":now": millis(now), ":nowsec": num(now.Unix()),
		},
	})
	if err == nil {
		return ClaimTaken, nil
	}
	if !conditionFailed(err) {
		return "", fmt.Errorf("claim %s in DynamoDB table %s: %w", k, s.table, err)
	}
	cur, err := s.get(ctx, "claim#"+k)
	if err != nil {
		return "", err
	}
	if getS(cur, attrState) == "done" {
		return ClaimDone, nil
	}
	return ClaimHeld, nil
}

// Finish implements EventClaims.
func (s *DynamoStore) Finish(ctx context.Context, k, owner string, expires time.Time) error {
	item := key("claim#" + k)
	item[attrOwner], item[attrState], item[attrUntil], item[attrTTL] = str(owner), str("done"), millis(expires), num(expires.Unix())
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		return fmt.Errorf("finish claim %s in DynamoDB table %s: %w", k, s.table, err)
	}
	return nil
}

// Release implements EventClaims.
func (s *DynamoStore) Release(ctx context.Context, k, owner string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key("claim#" + k),
		ConditionExpression:       aws.String("#owner = :owner AND #state = :held"),
		ExpressionAttributeNames:  names(attrOwner, attrState),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":owner": str(owner), ":held": str("held")},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("release claim %s in DynamoDB table %s: %w", k, s.table, err)
	}
	return nil
}

// AcquireLease implements LeaseStore. The holder renews with one PutItem
// conditioned on still holding the version it has; a standby reads the
// lease and takes it over only when free or expired, conditioned on the
// version it read, so of two standbys racing one wins.
func (s *DynamoStore) AcquireLease(ctx context.Context, owner string, now time.Time, d time.Duration) (Lease, error) {
	cur, err := s.get(ctx, leaseKey)
	if err != nil {
		return Lease{}, err
	}
	l := Lease{Owner: getS(cur, attrOwner), Version: getN(cur, attrVersion), Expires: time.UnixMilli(getN(cur, attrExpires))}
	cond := "#version = :seen"
	switch {
	case cur == nil:
		cond = "attribute_not_exists(#pk)"
	case l.Owner == owner:
	case l.Owner == "" || !l.Expires.After(now):
	default:
		return Lease{}, ErrLeaseHeld
	}
	next := Lease{Owner: owner, Version: l.Version, Expires: now.Add(d)}
	if cur == nil || l.Owner != owner {
		next.Version++
	}
	item := key(leaseKey)
	item[attrOwner], item[attrVersion], item[attrExpires] = str(owner), num(next.Version), millis(next.Expires)
	in := &dynamodb.PutItemInput{
		TableName:                aws.String(s.table),
		Item:                     item,
		ConditionExpression:      aws.String(cond),
		ExpressionAttributeNames: names(attrPK),
	}
	if cur != nil {
		in.ExpressionAttributeNames = names(attrVersion)
		in.ExpressionAttributeValues = map[string]ddbtypes.AttributeValue{":seen": num(l.Version)}
	}
	_, err = s.db.PutItem(ctx, in)
	if conditionFailed(err) {
		return Lease{}, ErrLeaseHeld
	}
	if err != nil {
		return Lease{}, fmt.Errorf("acquire lease in DynamoDB table %s: %w", s.table, err)
	}
	return next, nil
}

// ReleaseLease implements LeaseStore: the lease is marked free, keeping its
// version, so the next holder's fence is still higher.
func (s *DynamoStore) ReleaseLease(ctx context.Context, l Lease) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]ddbtypes.AttributeValue{
			attrPK: str(leaseKey), attrOwner: str(""), attrVersion: num(l.Version), attrExpires: num(0),
		},
		ConditionExpression:       aws.String("#owner = :owner AND #version = :version"),
		ExpressionAttributeNames:  names(attrOwner, attrVersion),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":owner": str(l.Owner), ":version": num(l.Version)},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("release lease in DynamoDB table %s: %w", s.table, err)
	}
	return nil
}
