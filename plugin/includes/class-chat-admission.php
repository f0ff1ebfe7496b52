<?php
/**
 * What the chat route and the ticket route check before a chat may go to the
 * gateway, and the gateway body they build: the same for both, so that a ticket
 * allows exactly the chat the relay would have sent.
 *
 * The browser sends the post, the block and the conversation; everything else
 * the gateway gets (system prompt, model, answer length, visitor id) comes from
 * the saved block and this site, so a visitor cannot pick a model, raise a limit
 * or rewrite the system prompt. Logged-in users' nonces are checked by core's
 * cookie authentication before either route runs.
 *
 * Abuse brakes, in this order, all before any gateway call: the visitor's rate
 * limit, Cloudflare Turnstile when the admin set it up (the request's
 * `turnstile_token`, checked by Turnstile), and the block's own daily cap
 * (Block_Daily_Cap: its saved `dailyQuestions`, counted last, so that only an
 * admitted question takes a place).
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

final class Chat_Admission {

	public const MAX_MESSAGES      = 50;
	public const MAX_MESSAGE_CHARS = 4000;
	public const MAX_TOTAL_CHARS   = 20000;

	private Turnstile $turnstile;

	public function __construct(
		private Settings $settings,
		private Gateway_Client $gateway,
		private Block_Locator $locator,
		private Rate_Limiter $rate_limiter,
		private Visitor_Id $visitor_id,
		private Shared_Address_Check $address_check,
		?Turnstile $turnstile = null,
		private Block_Daily_Cap $daily_cap = new Block_Daily_Cap(),
	) {
		$this->turnstile = $turnstile ?? new Turnstile( $settings );
	}

	/** @return array<string, array<string, mixed>> */
	public static function args(): array {
		return array(
			'post_id'  => array(
				'type'     => 'integer',
				'minimum'  => 1,
				'required' => true,
			),
			'block_id' => array(
				'type'      => 'string',
				'minLength' => 1,
				'maxLength' => 128,
				'required'  => true,
			),
			'messages' => array(
				'type'              => 'array',
				'validate_callback' => array( self::class, 'validate_messages' ),
				'minItems'          => 1,
				'maxItems'          => self::MAX_MESSAGES,
				'required'          => true,
				'items'             => array(
					'type'                 => 'object',
					'additionalProperties' => false,
					'required'             => array( 'role', 'content' ),
					'properties'           => array(
						// No "system": the system prompt is the block's, never the browser's.
						'role'    => array(
							'type' => 'string',
							'enum' => array( 'user', 'assistant' ),
						),
						'content' => array(
							'type'      => 'string',
							'minLength' => 1,
							'maxLength' => self::MAX_MESSAGE_CHARS,
						),
					),
				),
			),
			'stream'   => array(
				'type'    => 'boolean',
				'default' => true,
			),
			// Groups kept turns into one conversation; passed on only by a block that keeps transcripts.
			'conversation_id' => array(
				'type'    => 'string',
				'pattern' => Transcripts_Route::CONVERSATION_ID_PATTERN,
			),
			// The Turnstile widget's token, needed only while Turnstile is set up (Turnstile::verify()).
			'turnstile_token' => array(
				'type'      => 'string',
				'maxLength' => Turnstile::TOKEN_MAX_LENGTH,
			),
		);
	}

	/**
	 * The schema's checks, after a plain-spoken one for the case that matters:
	 * a system message from the browser.
	 *
	 * @param mixed           $value   Sent messages.
	 * @param WP_REST_Request $request Request.
	 * @param string          $param   Parameter name.
	 */
	public static function validate_messages( $value, $request, $param ): bool|WP_Error {
		foreach ( is_array( $value ) ? $value : array() as $index => $message ) {
			if ( is_array( $message ) && 'system' === ( $message['role'] ?? null ) ) {
				return Error_Codes::wp_error(
					Error_Codes::SLUICE_SYSTEM_MESSAGE,
					/* translators: %d: position of the message, from 0. */
					sprintf( __( 'messages[%d]: system messages come from the block\'s settings, never from the browser.', 'sluice' ), $index )
				);
			}
		}
		return rest_validate_request_arg( $value, $request, $param );
	}

	/**
	 * The gateway body for this request, once every check passed: chat switched
	 * on, the messages, a published block, a configured gateway, the visitor's
	 * rate limit (counted here, once per chat), the Turnstile token, the block's
	 * daily cap (counted here too). Otherwise the refusal to answer (a response
	 * where it carries Retry-After).
	 *
	 * @param WP_REST_Request $request A request valid for args().
	 * @return array<string, mixed>|WP_Error|WP_REST_Response
	 */
	public function admit( WP_REST_Request $request ): array|WP_Error|WP_REST_Response {
		$mode = $this->settings->streaming_mode();
		if ( 'off' === $mode ) {
			return Error_Codes::wp_error( Error_Codes::SLUICE_CHAT_OFF, __( 'Chat is switched off on this site.', 'sluice' ) );
		}

		$messages = $this->conversation( (array) $request['messages'] );
		if ( is_wp_error( $messages ) ) {
			return $messages;
		}

		$block = $this->locator->locate( (int) $request['post_id'], (string) $request['block_id'] );
		if ( is_wp_error( $block ) ) {
			return $block;
		}

		if ( ! $this->gateway->is_configured() ) {
			return Gateway_Errors::not_configured();
		}

		$visitor = $this->visitor_id->current();
		if ( $this->visitor_id->is_anonymous() ) {
			$this->address_check->record( $visitor, $this->visitor_id->from_internal_address(), $this->visitor_id->unused_proxy_headers() );
		}
		$wait = $this->rate_limiter->hit( $visitor, $this->settings->rate_limit_per_minute() );
		if ( $wait > 0 ) {
			$error = Error_Codes::wp_error(
				Error_Codes::SLUICE_RATE_LIMITED,
				/* translators: %d: seconds to wait. */
				sprintf( _n( 'Too many messages. Please wait %d second and try again.', 'Too many messages. Please wait %d seconds and try again.', $wait, 'sluice' ), $wait ),
				array( 'retry_after' => $wait )
			);
			return Gateway_Errors::response( $error, array( 'Retry-After' => (string) $wait ) );
		}

		$verified = $this->turnstile->verify( $request['turnstile_token'] );
		if ( is_wp_error( $verified ) ) {
			return $verified;
		}

		$capped = $this->daily_cap->admit( (int) $request['post_id'], (string) $request['block_id'], $block );
		if ( is_wp_error( $capped ) ) {
			$data = (array) $capped->get_error_data();
			return Gateway_Errors::response( $capped, array( 'Retry-After' => (string) ( $data['retry_after'] ?? 60 ) ) );
		}

		$stream = 'buffered' !== $mode && false !== $request['stream'];
		$payload = $this->gateway_body( $block, $messages, $stream, $visitor );
		// The block's setting alone decides: whatever the browser sends, nothing else asks for a transcript.
		if ( true === ( $block['keepTranscripts'] ?? false ) ) {
			$payload['transcript'] = true;
			if ( is_string( $request['conversation_id'] ) ) {
				$payload['conversation_id'] = $request['conversation_id'];
			}
		}
		return $payload;
	}

	/**
	 * The browser's messages, checked beyond the schema: the last one is the
	 * visitor's question, none is blank, and all fit in the total.
	 *
	 * @param array<int, mixed> $messages Schema-valid messages.
	 * @return array<int, array{role: string, content: string}>|WP_Error
	 */
	private function conversation( array $messages ): array|WP_Error {
		$clean = array();
		$total = 0;
		foreach ( $messages as $index => $message ) {
			$role    = (string) ( $message['role'] ?? '' );
			$content = (string) ( $message['content'] ?? '' );
			if ( '' === trim( $content ) ) {
				/* translators: %d: position of the message, from 0. */
				return $this->bad_input( sprintf( __( 'messages[%d] is empty.', 'sluice' ), $index ) );
			}
			$total  += mb_strlen( $content );
			$clean[] = array(
				'role'    => $role,
				'content' => $content,
			);
		}
		if ( $total > self::MAX_TOTAL_CHARS ) {
			/* translators: %s: the character limit. */
			return $this->bad_input( sprintf( __( 'The conversation is too long: at most %s characters in all.', 'sluice' ), number_format_i18n( self::MAX_TOTAL_CHARS ) ) );
		}
		if ( 'user' !== ( end( $clean )['role'] ?? '' ) ) {
			return $this->bad_input( __( 'The last message must be from the user.', 'sluice' ) );
		}
		return $clean;
	}

	private function bad_input( string $message ): WP_Error {
		return Error_Codes::wp_error( Error_Codes::SLUICE_INVALID_REQUEST, $message );
	}

	/**
	 * What the gateway gets: the block's system prompt, model and answer length,
	 * the conversation, and the hashed visitor id.
	 *
	 * @param array<string, mixed>                          $block    Block attributes.
	 * @param array<int, array{role: string, content: string}> $messages Conversation.
	 * @return array<string, mixed>
	 */
	private function gateway_body( array $block, array $messages, bool $stream, string $visitor ): array {
		$system = is_string( $block['systemPrompt'] ?? null ) ? trim( $block['systemPrompt'] ) : '';
		if ( '' !== $system ) {
			array_unshift(
				$messages,
				array(
					'role'    => 'system',
					'content' => $system,
				)
			);
		}
		$model   = is_string( $block['model'] ?? null ) && '' !== trim( $block['model'] ) ? trim( $block['model'] ) : 'auto';
		$payload = array(
			'messages' => $messages,
			'model'    => $model,
		);
		$max_tokens = is_numeric( $block['maxTokens'] ?? null ) ? (int) $block['maxTokens'] : 0;
		if ( $max_tokens > 0 ) {
			$payload['max_tokens'] = $max_tokens;
		}
		$payload['stream'] = $stream;
		$payload['user']   = $visitor;
		return $payload;
	}
}
