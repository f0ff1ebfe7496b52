<?php
/**
 * Server render of the Chat block: an empty container whose data-sluice-chat attribute
 * holds the view script's configuration (docs/wordpress-contract.md). The view script
 * builds the conversation inside it.
 *
 * The system prompt is never printed: the REST route reads it from the saved block.
 * The nonce is printed only for logged-in users, so cached pages for visitors carry none.
 *
 * @package Sluice
 *
 * @var array    $attributes Block attributes, with block.json defaults applied.
 * @var string   $content    Inner content (none).
 * @var WP_Block $block      The block instance.
 */

defined( 'ABSPATH' ) || exit;

$sluice_post_id = isset( $block->context['postId'] ) ? (int) $block->context['postId'] : (int) get_the_ID();

// Suggested first questions: one a line in the attribute, a list in the config (at most four).
$sluice_suggestions = array();
if ( isset( $attributes['suggestions'] ) && is_string( $attributes['suggestions'] ) ) {
	$sluice_lines       = array_map( 'trim', preg_split( '/\r\n|\r|\n/', $attributes['suggestions'] ) );
	$sluice_suggestions = array_slice( array_values( array_unique( array_filter( $sluice_lines, 'strlen' ) ) ), 0, 4 );
}

$sluice_config = array(
	'restUrl'       => rest_url( 'sluice/v1/chat' ),
	'postId'        => $sluice_post_id,
	'blockId'       => isset( $attributes['blockId'] ) ? (string) $attributes['blockId'] : '',
	'streamingMode' => function_exists( 'sluice_streaming_mode' ) ? sluice_streaming_mode() : 'auto',
	// Days the visitor's browser keeps the conversation (0: this page view only).
	'memoryDays'    => isset( $attributes['memoryDays'] ) ? max( 0, min( 365, (int) $attributes['memoryDays'] ) ) : 7,
	// Only a user who may manage the site sees what each answer cost.
	'canSeeCost'    => current_user_can( 'manage_options' ),
	'texts'         => array(
		'title'       => isset( $attributes['title'] ) ? (string) $attributes['title'] : '',
		'welcome'     => isset( $attributes['welcome'] ) ? (string) $attributes['welcome'] : '',
		'placeholder' => isset( $attributes['placeholder'] ) ? (string) $attributes['placeholder'] : '',
		'suggestions' => $sluice_suggestions,
	),
);
// Direct mode: the block asks the ticket route, then streams from the gateway.
$sluice_ticket_url = function_exists( 'sluice_ticket_url' ) ? sluice_ticket_url() : '';
if ( '' !== $sluice_ticket_url ) {
	$sluice_config['ticketUrl'] = $sluice_ticket_url;
}
// Turnstile: the widget's site key, and Cloudflare's script, while the site has it on.
$sluice_turnstile_key = function_exists( 'sluice_turnstile_site_key' ) ? sluice_turnstile_site_key() : '';
if ( '' !== $sluice_turnstile_key ) {
	$sluice_config['turnstileSiteKey'] = $sluice_turnstile_key;
	sluice_enqueue_turnstile();
}
if ( is_user_logged_in() ) {
	$sluice_config['nonce'] = wp_create_nonce( 'wp_rest' );
}

// The JSON has no entities or quotes of its own; get_block_wrapper_attributes() escapes it with esc_attr().
$sluice_json = wp_json_encode( $sluice_config, JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT | JSON_UNESCAPED_SLASHES );

$sluice_wrapper = get_block_wrapper_attributes(
	array(
		'class'            => 'sluice-chat',
		'data-sluice-chat' => false === $sluice_json ? '{}' : $sluice_json,
	)
);
?>
<div <?php echo $sluice_wrapper; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped by get_block_wrapper_attributes(). ?>>
	<?php if ( '' !== $sluice_config['texts']['title'] ) : ?>
		<h2 class="sluice-chat__title"><?php echo esc_html( $sluice_config['texts']['title'] ); ?></h2>
	<?php endif; ?>
	<noscript><p class="sluice-chat__error-text"><?php esc_html_e( 'This chat needs JavaScript.', 'sluice' ); ?></p></noscript>
</div>
