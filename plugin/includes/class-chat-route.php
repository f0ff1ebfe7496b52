<?php
/**
 * POST /wp-json/sluice/v1/chat — anyone may chat with a Chat block on a published
 * page: relay mode. Chat_Admission checks the request and builds the gateway
 * body; this route signs it to the gateway and streams the answer through (or
 * answers it buffered). The PHP worker is held for the whole answer; in direct
 * mode the Ticket_Route hands the browser the same body, sealed, instead.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

final class Chat_Route {

	private const BUFFERED_TIMEOUT = 180;

	public function __construct(
		private Gateway_Client $gateway,
		private Chat_Admission $admission,
	) {
	}

	public function register( string $route_namespace ): void {
		register_rest_route(
			$route_namespace,
			'/chat',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				// Public on purpose: the checks that matter (published block, rate limit) are Chat_Admission's.
				'permission_callback' => '__return_true',
				'callback'            => array( $this, 'handle' ),
				'args'                => Chat_Admission::args(),
			)
		);
	}

	public function handle( WP_REST_Request $request ): WP_REST_Response|WP_Error {
		$payload = $this->admission->admit( $request );
		if ( ! is_array( $payload ) ) {
			return $payload;
		}
		if ( function_exists( 'set_time_limit' ) ) {
			// A long answer may outlive max_execution_time; the gateway calls have their own limits.
			set_time_limit( 0 );
		}
		return true === $payload['stream'] ? $this->stream( $payload ) : $this->buffered( $payload );
	}

	/** @param array<string, mixed> $payload Gateway body. */
	private function stream( array $payload ): WP_REST_Response|WP_Error {
		$handle = $this->gateway->prepare( 'POST', '/v1/chat', Gateway_Client::encode( $payload ), 'text/event-stream' );
		if ( is_wp_error( $handle ) ) {
			return $handle;
		}
		return Stream_Relay::respond( $handle );
	}

	/** @param array<string, mixed> $payload Gateway body. */
	private function buffered( array $payload ): WP_REST_Response|WP_Error {
		$answer = $this->gateway->request( 'POST', '/v1/chat', $payload, self::BUFFERED_TIMEOUT );
		if ( is_wp_error( $answer ) ) {
			return $answer;
		}
		if ( ! $answer->ok() ) {
			$refusal = Gateway_Errors::for_visitor( Gateway_Errors::from_gateway( $answer->status, $answer->body ) );
			return Gateway_Errors::response( $refusal, Gateway_Errors::retry_after( $answer->header( 'retry-after' ) ) );
		}
		$json = $answer->json();
		if ( null === $json ) {
			return Gateway_Errors::unavailable( 'the gateway answered with something other than JSON' );
		}
		$response = new WP_REST_Response( $json, 200 );
		if ( null !== $answer->header( 'x-request-id' ) ) {
			$response->header( 'X-Request-Id', (string) $answer->header( 'x-request-id' ) );
		}
		return $response;
	}
}
