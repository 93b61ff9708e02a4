package node

// The vocabulary: every action a user takes has one name, the same in Go
// (the method of *Node), in the HTTP API (the route's last word), in the
// coopnode CLI (the command) and in package mobile (its method, taking and
// returning JSON). Each surface's tests check their side of this table, so
// a rename on one surface alone fails a test.

// Action is one action and its name on each surface; "" where a surface
// does not offer it.
type Action struct {
	// Name is the method of *Node.
	Name string
	// HTTP is the route, "METHOD /path" as in SPEC.md §13 ({id}: an order).
	HTTP string
	// CLI is the coopnode command.
	CLI string
	// Mobile is the method of *mobile.Node: Name itself (but PersonalData
	// for PersonalDataOf, node's PersonalData being the type), or "" if the
	// façade does not offer the action (the restaurant and admin actions:
	// the façade is for couriers and customers).
	Mobile string
}

// Actions lists the vocabulary.
var Actions = []Action{
	// cooperative
	{"Found", "POST /v1/coop/found", "found", ""},
	{"Join", "POST /v1/coop/join", "join", ""},
	{"Admit", "POST /v1/coop/members", "admit", ""},
	{"Revoke", "POST /v1/coop/members/revoke", "revoke", ""},
	{"LinkDevice", "POST /v1/coop/devices", "link-device", ""},
	{"RevokeDevice", "POST /v1/coop/devices/revoke", "revoke-device", ""},
	{"SetRules", "PUT /v1/coop/rules", "rules", ""},
	// restaurant
	{"PublishProfile", "PUT /v1/catalog/profile", "profile", ""},
	{"PublishMenu", "PUT /v1/catalog/menu", "menu", ""},
	{"Accept", "POST /v1/orders/{id}/accept", "accept", ""},
	{"Refuse", "POST /v1/orders/{id}/refuse", "refuse", ""},
	{"Delay", "POST /v1/orders/{id}/delay", "delay", ""},
	{"StartPreparing", "POST /v1/orders/{id}/start-preparing", "start-preparing", ""},
	{"Ready", "POST /v1/orders/{id}/ready", "ready", ""},
	{"Fulfil", "POST /v1/orders/{id}/fulfil", "fulfil", ""},
	{"Restore", "POST /v1/orders/{id}/restore", "restore", ""},
	{"Assign", "POST /v1/orders/{id}/assign", "assign", ""},
	{"RequestDelivery", "POST /v1/deliveries", "parcel", ""},
	// customer
	{"Restaurants", "GET /v1/restaurants", "restaurants", "Restaurants"},
	{"Slots", "GET /v1/restaurants/{key}/slots", "slots", "Slots"},
	{"Quote", "POST /v1/quote", "quote", "Quote"},
	{"Checkout", "POST /v1/checkout", "checkout", "Checkout"},
	{"PlaceUnpriced", "POST /v1/orders", "place", ""},
	{"Cancel", "POST /v1/orders/{id}/cancel", "cancel", "Cancel"},
	{"Rate", "POST /v1/orders/{id}/rate", "rate", "Rate"},
	{"Tracking", "GET /v1/orders/{id}/tracking", "track", ""},
	// courier
	{"Jobs", "GET /v1/jobs", "jobs", "Jobs"},
	{"Claim", "POST /v1/orders/{id}/claim", "claim", "Claim"},
	{"AwaitClaim", "", "", "AwaitClaim"},
	{"Unassign", "POST /v1/orders/{id}/unassign", "unassign", "Unassign"},
	{"StartTask", "POST /v1/orders/{id}/start-task", "", "StartTask"},
	{"Pickup", "POST /v1/orders/{id}/pickup", "pickup", "Pickup"},
	{"Deliver", "POST /v1/orders/{id}/deliver", "deliver", "Deliver"},
	{"Fail", "POST /v1/orders/{id}/fail", "fail", "Fail"},
	{"KeepProof", "POST /v1/proofs", "", ""},
	{"ProofImage", "GET /v1/proofs/{hash}", "", ""},
	{"UpdatePosition", "POST /v1/position", "position", "UpdatePosition"},
	// anyone
	{"Order", "GET /v1/orders/{id}", "order", ""},
	{"Orders", "GET /v1/orders", "orders", ""},
	{"Price", "GET /v1/orders/{id}/price", "price", ""},
	{"PersonalDataOf", "GET /v1/orders/{id}/personal", "personal", "PersonalData"},
	{"Export", "GET /v1/exports/{file}", "export", ""},
	{"Peers", "GET /v1/peers", "peers", ""},
	// members: governance (SPEC.md §19)
	{"Proposals", "GET /v1/proposals", "", ""},
	{"Propose", "POST /v1/proposals", "", ""},
	{"Tally", "GET /v1/proposals/{id}/tally", "", ""},
	{"Vote", "POST /v1/proposals/{id}/vote", "", ""},
	{"Delegate", "POST /v1/proposals/{id}/delegate", "", ""},
	{"Enact", "POST /v1/proposals/{id}/enact", "", ""},
	{"AmendConstitution", "PUT /v1/coop/constitution", "", ""},
}
