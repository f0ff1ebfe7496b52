<?php
/**
 * Kept transcripts and WordPress's privacy tools (Tools → Export / Erase Personal Data),
 * and the daily purge.
 *
 * The tools name a person by e-mail address; transcripts know a visitor only by the
 * plugin's visitor id (Visitor_Id: an HMAC of the user id, or of the IP address for
 * anonymous visitors). A request is matched to visitor ids in two ways, and only these:
 *
 * - the e-mail address of a registered user: the visitor id of that user (their chats
 *   while logged in);
 * - the address the person confirmed the request from: when they click the confirmation
 *   link, the visitor id of that moment (their IP address, as the Chat block counts it) is
 *   kept with the request (post meta `_sluice_visitor_ids`). It finds their anonymous chats
 *   only if they confirm from the address they chatted from, and anyone who shared that
 *   address (the same NAT, the same proxy without `sluice_visitor_ip`) is the same visitor.
 *
 * No IP address is stored: only the visitor id, as the chat sent it.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Transcript_Privacy {

	public const CRON_HOOK     = 'sluice_purge_transcripts';
	public const VISITORS_META = '_sluice_visitor_ids';
	private const GROUP_ID     = 'sluice-transcripts';

	public function __construct( private Gateway_Client $gateway, private Visitor_Id $visitor_id ) {
	}

	public function register(): void {
		add_filter( 'wp_privacy_personal_data_exporters', array( $this, 'add_exporter' ) );
		add_filter( 'wp_privacy_personal_data_erasers', array( $this, 'add_eraser' ) );
		add_action( 'user_request_action_confirmed', array( $this, 'remember_confirming_visitor' ), 5 );
		add_action( self::CRON_HOOK, array( $this, 'purge' ) );
		add_action( 'init', array( $this, 'schedule' ) );
	}

	public function schedule(): void {
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_event( time() + HOUR_IN_SECONDS, 'daily', self::CRON_HOOK );
		}
	}

	/** The daily WP-cron run: the gateway deletes this site's turns past the retention. */
	public function purge(): void {
		if ( $this->gateway->is_configured() ) {
			$this->gateway->json( 'POST', '/v1/transcripts/purge', array( 'retention_days' => Transcripts_Route::retention_days() ) );
		}
	}

	/**
	 * @param array<string, array<string, mixed>> $exporters Registered exporters.
	 * @return array<string, array<string, mixed>>
	 */
	public function add_exporter( array $exporters ): array {
		$exporters['sluice-transcripts'] = array(
			'exporter_friendly_name' => __( 'Sluice chat transcripts', 'sluice' ),
			'callback'               => array( $this, 'export' ),
		);
		return $exporters;
	}

	/**
	 * @param array<string, array<string, mixed>> $erasers Registered erasers.
	 * @return array<string, array<string, mixed>>
	 */
	public function add_eraser( array $erasers ): array {
		$erasers['sluice-transcripts'] = array(
			'eraser_friendly_name' => __( 'Sluice chat transcripts', 'sluice' ),
			'callback'             => array( $this, 'erase' ),
		);
		return $erasers;
	}

	/** Keeps the confirming visitor's id with their privacy request (see the class comment). */
	public function remember_confirming_visitor( int $request_id ): void {
		$request = wp_get_user_request( $request_id );
		if ( ! $request || ! in_array( $request->action_name, array( 'export_personal_data', 'remove_personal_data' ), true ) ) {
			return;
		}
		$visitors   = (array) get_post_meta( $request_id, self::VISITORS_META, true );
		$visitors[] = $this->visitor_id->current();
		update_post_meta( $request_id, self::VISITORS_META, array_values( array_unique( array_filter( $visitors, 'is_string' ) ) ) );
	}

	/**
	 * The visitor ids an e-mail address stands for: its user's, and those kept with the
	 * privacy requests made for it.
	 *
	 * @return string[]
	 */
	public function visitors_for( string $email ): array {
		$visitors = array();
		$user     = get_user_by( 'email', $email );
		if ( $user ) {
			// Visitor_Id::current() for this user, logged in.
			$visitors[] = 'wp.' . substr( hash_hmac( 'sha256', 'user:' . $user->ID, wp_salt( 'nonce' ) . 'sluice-visitor' ), 0, 40 );
		}
		$requests = get_posts(
			array(
				'post_type'      => 'user_request',
				'post_status'    => 'any',
				'title'          => $email,
				'posts_per_page' => 20,
				'fields'         => 'ids',
			)
		);
		foreach ( $requests as $request_id ) {
			foreach ( (array) get_post_meta( (int) $request_id, self::VISITORS_META, true ) as $visitor ) {
				if ( is_string( $visitor ) && '' !== $visitor ) {
					$visitors[] = $visitor;
				}
			}
		}
		return array_slice( array_values( array_unique( $visitors ) ), 0, 20 );
	}

	/**
	 * @return array{data: array<int, array<string, mixed>>, done: bool}
	 */
	public function export( string $email, int $page = 1 ): array {
		$visitors = $this->visitors_for( $email );
		if ( array() === $visitors || 1 !== $page ) {
			return array(
				'data' => array(),
				'done' => true,
			);
		}
		$turns = $this->gateway->json( 'POST', '/v1/transcripts/visitors/export', array( 'visitors' => $visitors ) );
		if ( is_wp_error( $turns ) ) {
			return array(
				'data' => array(),
				'done' => true,
			);
		}
		$items = array();
		foreach ( (array) ( $turns['data'] ?? array() ) as $turn ) {
			$items[] = array(
				'group_id'    => self::GROUP_ID,
				'group_label' => __( 'Chat transcripts', 'sluice' ),
				'item_id'     => 'sluice-transcript-' . (string) ( $turn['request_id'] ?? '' ),
				'data'        => array(
					array(
						'name'  => __( 'Conversation', 'sluice' ),
						'value' => (string) ( $turn['conversation_id'] ?? '' ),
					),
					array(
						'name'  => __( 'Date', 'sluice' ),
						'value' => (string) ( $turn['at'] ?? '' ),
					),
					array(
						'name'  => __( 'Question', 'sluice' ),
						'value' => (string) ( $turn['question'] ?? '' ),
					),
					array(
						'name'  => __( 'Answer', 'sluice' ),
						'value' => (string) ( $turn['answer'] ?? '' ),
					),
				),
			);
		}
		return array(
			'data' => $items,
			'done' => true,
		);
	}

	/**
	 * @return array{items_removed: bool, items_retained: bool, messages: string[], done: bool}
	 */
	public function erase( string $email, int $page = 1 ): array {
		$visitors = $this->visitors_for( $email );
		$result   = array(
			'items_removed'  => false,
			'items_retained' => false,
			'messages'       => array(),
			'done'           => true,
		);
		if ( array() === $visitors || 1 !== $page ) {
			return $result;
		}
		$erased = $this->gateway->json( 'POST', '/v1/transcripts/visitors/erase', array( 'visitors' => $visitors ) );
		if ( is_wp_error( $erased ) ) {
			$result['items_retained'] = true;
			$result['messages'][]     = __( 'The Sluice gateway could not be reached: chat transcripts were not erased. Try again.', 'sluice' );
			return $result;
		}
		$result['items_removed'] = (int) ( $erased['deleted'] ?? 0 ) > 0;
		return $result;
	}
}
