<?php
/**
 * POST /wp-json/sluice/v1/ticket — anyone: the start of a chat in direct mode.
 *
 * The same request and the same checks as the chat route (Chat_Admission: a
 * published block, the messages, the visitor's rate limit), and the same gateway
 * body; but instead of holding a PHP worker while the gateway answers, this
 * route gives the browser a ticket and that body sealed for the gateway, and
 * the browser streams the answer from the gateway itself:
 *
 *   {"ticket": "v1.<P>.<M>", "body": "{\"sealed\":\"…\"}", "url": "https://…/v1/direct/chat"}
 *
 * The browser sends `body` as it is, with `ticket` as X-Sluice-Ticket, to `url`.
 * The ticket binds the origin of this site's pages (home_url()), never the
 * request's Origin. Answers 409 sluice_direct_off when direct mode is not in
 * force (a page cached before the admin went back to relay): the block then
 * asks the chat route.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

final class Ticket_Route {

	public function __construct(
		private Settings $settings,
		private Direct_Mode $direct,
		private Chat_Admission $admission,
	) {
	}

	public function register( string $route_namespace ): void {
		register_rest_route(
			$route_namespace,
			'/ticket',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				// Public on purpose, as the chat route: the checks that matter are Chat_Admission's.
				'permission_callback' => '__return_true',
				'callback'            => array( $this, 'handle' ),
				'args'                => Chat_Admission::args(),
			)
		);
	}

	public function handle( WP_REST_Request $request ): WP_REST_Response|WP_Error {
		// Before the admission, so that a block falling back to the chat route is counted once.
		if ( ! $this->direct->in_force() ) {
			return self::direct_off();
		}
		$payload = $this->admission->admit( $request );
		if ( ! is_array( $payload ) ) {
			return $payload;
		}
		return self::grant( $this->settings, $this->direct->chat_url(), $payload );
	}

	/** The refusal when no direct URL is in force. */
	public static function direct_off(): WP_Error {
		return Error_Codes::wp_error( Error_Codes::SLUICE_DIRECT_OFF, __( 'Direct streaming is not in force on this site: send the chat to the chat route.', 'sluice' ) );
	}

	/**
	 * The ticket answer for a gateway body.
	 *
	 * @param Settings             $settings The site's id and secret.
	 * @param string               $url      Where the browser posts it (Direct_Mode::chat_url()).
	 * @param array<string, mixed> $payload  The gateway body, as the relay would send it.
	 */
	public static function grant( Settings $settings, string $url, array $payload ): WP_REST_Response {
		$issued   = Ticket::issue( $settings->site_id(), (string) $settings->secret(), Site_Origin::current(), Gateway_Client::encode( $payload ) );
		$response = new WP_REST_Response(
			array(
				'ticket' => $issued['ticket'],
				'body'   => $issued['request_body'],
				'url'    => $url,
			),
			200
		);
		// One chat's ticket: no cache or proxy may keep it.
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}
}
