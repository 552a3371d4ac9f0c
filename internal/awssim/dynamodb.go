package awssim

import (
	"bytes"
	"encoding/json"
	"hash/crc32"
	"maps"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// DynamoDB JSON 1.0: GetItem, PutItem and DeleteItem on tables keyed by a
// string partition key, with condition expressions (see dynamodb_expr.go),
// as the daemon's state store calls them. Tables are made by CreateTable
// (Terraform's part in AWS). Throttling and outages come from InjectFault
// ("dynamodb:PutItem", code ThrottlingException or status 500).
//
// Differs from AWS, on purpose: no sort keys, indexes, queries, scans,
// update expressions or transactions; time to live is not enforced (AWS
// deletes expired items only eventually, so readers judge times
// themselves anyway); every read is consistent.

// dynamoState is the simulated DynamoDB, guarded by Server.mu.
type dynamoState struct {
	tables map[string]*dynamoTable
}

type dynamoTable struct {
	hashKey string
	items   map[string]map[string]json.RawMessage // by hash key value
}

// dynamoMaxItem is AWS's item size limit (names and values, in bytes).
const dynamoMaxItem = 400 * 1024

func (d *dynamoState) init() { d.tables = map[string]*dynamoTable{} }

// CreateTable makes a table whose partition key is the string attribute
// hashKey.
func (s *Server) CreateTable(name, hashKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dynamo.tables[name] = &dynamoTable{hashKey: hashKey, items: map[string]map[string]json.RawMessage{}}
}

// Items returns a copy of a table's items, as attribute name -> its JSON
// attribute value ({"S":"..."}), by partition key.
func (s *Server) Items(table string) map[string]map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]string{}
	t := s.dynamo.tables[table]
	if t == nil {
		return out
	}
	for k, it := range t.items {
		m := map[string]string{}
		for n, v := range it {
			m[n] = string(v)
		}
		out[k] = m
	}
	return out
}

func (s *Server) dynamoHandler(op string) handler {
	switch op {
	case "GetItem":
		return s.dynamoGetItem
	case "PutItem":
		return s.dynamoPutItem
	case "DeleteItem":
		return s.dynamoDeleteItem
	}
	return nil
}

type dynamoRequest struct {
	TableName                 string                     `json:"TableName"`
	Key                       map[string]json.RawMessage `json:"Key"`
	Item                      map[string]json.RawMessage `json:"Item"`
	ConditionExpression       *string                    `json:"ConditionExpression"`
	ExpressionAttributeNames  map[string]string          `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues map[string]json.RawMessage `json:"ExpressionAttributeValues"`
	ConsistentRead            *bool                      `json:"ConsistentRead"`
}

func errDynamoValidation(format string, a ...any) *apiError {
	return errBadRequest("ValidationException", format, a...)
}

// tableAndKey finds the request's table and the item's partition key value.
func (s *Server) tableAndKey(r dynamoRequest, key map[string]json.RawMessage) (*dynamoTable, string, *apiError) {
	t := s.dynamo.tables[r.TableName]
	if t == nil {
		return nil, "", errBadRequest("ResourceNotFoundException", "Requested resource not found")
	}
	raw, ok := key[t.hashKey]
	if !ok {
		return nil, "", errDynamoValidation("One of the required keys was not given a value")
	}
	var v struct {
		S *string `json:"S"`
	}
	if json.Unmarshal(raw, &v) != nil || v.S == nil {
		return nil, "", errDynamoValidation("One or more parameter values were invalid: Type mismatch for key %s expected: S", t.hashKey)
	}
	return t, *v.S, nil
}

// checkCondition evaluates the request's condition against the current
// item and rejects placeholders the expression does not use, as AWS does.
func checkCondition(r dynamoRequest, cur map[string]json.RawMessage) *apiError {
	if r.ConditionExpression == nil {
		if len(r.ExpressionAttributeNames) > 0 || len(r.ExpressionAttributeValues) > 0 {
			return errDynamoValidation("ExpressionAttributeNames and ExpressionAttributeValues can only be specified when using expressions")
		}
		return nil
	}
	ok, used, err := evalCondition(*r.ConditionExpression, r.ExpressionAttributeNames, r.ExpressionAttributeValues, cur)
	if err != nil {
		return errDynamoValidation("%s", err.Error())
	}
	var unused []string
	for k := range r.ExpressionAttributeNames {
		if !used[k] {
			unused = append(unused, k)
		}
	}
	for k := range r.ExpressionAttributeValues {
		if !used[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return errDynamoValidation("Value provided in ExpressionAttributeNames or ExpressionAttributeValues unused in expressions: keys: {%s}", strings.Join(unused, ", "))
	}
	if !ok {
		return errBadRequest("ConditionalCheckFailedException", "The conditional request failed")
	}
	return nil
}

// withItem decodes a request and, under the lock, finds its table and
// the partition key of its item (from Key, or from Item for PutItem), then
// runs op.
func (s *Server) withItem(body []byte, op func(r dynamoRequest, t *dynamoTable, k string) (any, *apiError)) (any, *apiError) {
	var r dynamoRequest
	if e := decode(body, &r); e != nil {
		return nil, e
	}
	key := r.Key
	if r.Item != nil {
		key = r.Item
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, k, e := s.tableAndKey(r, key)
	if e != nil {
		return nil, e
	}
	return op(r, t, k)
}

func (s *Server) dynamoGetItem(body []byte) (any, *apiError) {
	return s.withItem(body, func(_ dynamoRequest, t *dynamoTable, k string) (any, *apiError) {
		it, ok := t.items[k]
		if !ok {
			return struct{}{}, nil
		}
		return map[string]any{"Item": maps.Clone(it)}, nil
	})
}

func (s *Server) dynamoPutItem(body []byte) (any, *apiError) {
	return s.withItem(body, func(r dynamoRequest, t *dynamoTable, k string) (any, *apiError) {
		size := 0
		for n, v := range r.Item {
			size += len(n) + len(v)
		}
		if size > dynamoMaxItem {
			return nil, errDynamoValidation("Item size has exceeded the maximum allowed size")
		}
		if e := checkCondition(r, t.items[k]); e != nil {
			return nil, e
		}
		t.items[k] = maps.Clone(r.Item)
		return struct{}{}, nil
	})
}

func (s *Server) dynamoDeleteItem(body []byte) (any, *apiError) {
	return s.withItem(body, func(r dynamoRequest, t *dynamoTable, k string) (any, *apiError) {
		if e := checkCondition(r, t.items[k]); e != nil {
			return nil, e
		}
		delete(t.items, k)
		return struct{}{}, nil
	})
}

// crc32Writer holds a DynamoDB answer back to send it with its
// X-Amz-Crc32 header, as DynamoDB does.
type crc32Writer struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (c *crc32Writer) WriteHeader(status int)      { c.status = status }
func (c *crc32Writer) Write(b []byte) (int, error) { return c.buf.Write(b) }

func (c *crc32Writer) flush() {
	c.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(c.buf.Bytes())), 10))
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.ResponseWriter.WriteHeader(c.status)
	_, _ = c.ResponseWriter.Write(c.buf.Bytes())
}
