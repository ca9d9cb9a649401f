package observatory

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/picketsec/picket/host/audit"
)

// ReplayRequest is the body of POST /v1/replay: an Aperture hook payload
// as JSON (Payload), or plain text to judge as one new user prompt (Text).
type ReplayRequest struct {
	Payload json.RawMessage `json:"payload,omitempty"`
	Text    string          `json:"text,omitempty"`
	// Event overrides the event the payload is taken as (pre_request,
	// tool_call_entire_request, entire_request); default: inferred.
	Event string `json:"event,omitempty"`
}

// ReplayResult is the verdict the current policy gives a replayed payload.
// Nothing of it is recorded. Items carry their text with secrets masked,
// findings their evidence and taxonomy, as the trail would keep them.
type ReplayResult struct {
	Event     string              `json:"event"`
	APIFormat string              `json:"api_format,omitempty"`
	Mode      string              `json:"mode"`
	Result    *audit.Result       `json:"result"`
	Items     []audit.Item        `json:"items"`
	Detectors []audit.DetectorRun `json:"detectors"`
}

// PayloadError is a replayed payload that cannot be read: answered 400.
type PayloadError struct{ Reason string }

func (e *PayloadError) Error() string { return e.Reason }

// ReplayFunc evaluates req for tenant without recording it.
type ReplayFunc func(ctx context.Context, tenant string, req ReplayRequest) (*ReplayResult, error)

func (h *handlers) replay(c *gin.Context) {
	tenant, ok := h.tenant(c)
	if !ok {
		return
	}
	var req ReplayRequest
	if !decodeBody(c, 4<<20, &req, `{"payload": {…Aperture hook JSON…}} or {"text": "…"}`) {
		return
	}
	if (len(req.Payload) == 0) == (req.Text == "") {
		c.AbortWithStatusJSON(http.StatusBadRequest, apiError{Error: "give exactly one of payload (an Aperture hook payload) and text"})
		return
	}
	res, err := h.deps.Replay(c.Request.Context(), tenant, req)
	var pe *PayloadError
	switch {
	case errors.As(err, &pe):
		c.AbortWithStatusJSON(http.StatusBadRequest, apiError{Error: pe.Reason})
		return
	case err != nil:
		h.log.Error("replay failed", "tenant", tenant, "error", err)
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, apiError{Error: "cannot evaluate now"})
		return
	}
	c.JSON(http.StatusOK, res)
}
