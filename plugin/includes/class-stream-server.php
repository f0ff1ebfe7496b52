<?php
/**
 * Serves a Stream_Response on the `rest_pre_serve_request` filter: at that point
 * WordPress has set the status and every header of the REST response and is
 * about to echo JSON. The stream is written instead and the filter answers
 * "served", so WordPress echoes nothing, returns from serve_request() and ends
 * the request as it always does: no exit inside a route callback, no "headers
 * already sent" warnings.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Stream_Server {

	/**
	 * @param bool                  $served  Whether an earlier filter served the request.
	 * @param mixed                 $result  The response WordPress is about to send.
	 * @param \WP_REST_Request|null $request The request.
	 */
	public function serve( $served, $result, $request = null ): bool {
		if ( ! $result instanceof Stream_Response ) {
			return (bool) $served;
		}
		if ( $served || ( $request instanceof \WP_REST_Request && 'HEAD' === $request->get_method() ) ) {
			// Answered already, or no body wanted: the stream is dropped (its destructor closes the gateway call).
			return (bool) $served;
		}
		$result->stream( new Sse_Output() );
		return true;
	}
}
